"""The DOCX templates shipped with the service (the first version of each) and the script building them."""
