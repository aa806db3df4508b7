"""`make bench`: performance figures measured as ratios against floors measured in
the same run (see bench/README.md)."""
