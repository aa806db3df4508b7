from django.conf import settings

# The settings the legal pages show (mentions légales, données personnelles,
# accessibilité), under the names the templates use.
LEGAL_SETTINGS = {
    "publisher_name": "TRI_PUBLISHER_NAME",
    "publisher_address": "TRI_PUBLISHER_ADDRESS",
    "publication_director": "TRI_PUBLICATION_DIRECTOR",
    "contact_email": "TRI_CONTACT_EMAIL",
    "dpo_contact": "TRI_DPO_CONTACT",
    "host_name": "TRI_HOST_NAME",
    "host_address": "TRI_HOST_ADDRESS",
    "host_phone": "TRI_HOST_PHONE",
}


def site(request):
    return {
        "SITE_NAME": settings.SITE_NAME,
        "LEGAL": {name: getattr(settings, setting) for name, setting in LEGAL_SETTINGS.items()},
    }
