//! maillage-territory: COG communes, EPCI, populations, fragility index, polygons; distances, travel times, coverage.
