"""Credential providers, with obstore's names and arguments.

Each module wraps one library, imported only when one of its providers is
built: ``boto3`` (boto3/botocore), ``google`` (google-auth), ``azure``
(azure-identity), ``earthdata`` (requests or aiohttp), ``planetary_computer``
(requests or aiohttp). Pass an instance as ``credential_provider=`` to
``S3Store``, ``GCSStore``, ``AzureStore`` or ``from_url``; the library calls
it on the binding's own thread (sync providers) or its private event loop
(async ones), caches the credential until shortly before it expires, and
asks again when the service refuses it.

Pickling a store pickles its provider. The providers here pickle when they
hold nothing bound to this process: those built without a session or
credential object of yours (the receiving process makes its own from its
environment). Otherwise pickling the store raises TypeError.
"""

# The modules themselves import nothing heavy (their libraries are imported
# when a provider is built), so they are attributes of the package as in
# obstore.
from . import azure, boto3, earthdata, google, planetary_computer  # noqa: E402

__all__ = ["azure", "boto3", "earthdata", "google", "planetary_computer"]
