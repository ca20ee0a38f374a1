"""People and companies, the pipeline, lists, activity: the heart of Leadflow."""
