"""Kent Locality Explorer: data build, database access, indicator catalogue, maps and gap index."""
