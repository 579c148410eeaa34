"""Paper outputs from the warehouse: regression and data tables, figures, case evidence on
paper, exported panels and citations."""
