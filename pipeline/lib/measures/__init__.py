"""The indicators, from raw tables to the panel: waves, networks, status, cohesion, threat,
events, the state-year and dyad-year tables, the alliance panel, the cases and the codebook."""
