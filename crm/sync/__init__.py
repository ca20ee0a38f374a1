"""Two-way sync with the CRMs sales teams already run (HubSpot, Salesforce, Pipedrive, GoHighLevel)."""
