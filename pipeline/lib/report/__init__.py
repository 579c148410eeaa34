"""What a run says about itself and the warehouse: the closing summary, the standing health
of the tables, and the ``--select`` parser."""
