"""Importing IATI activity files: codelists, a pure streaming parser, the code mappings and the
import service (see services.iati_import)."""
