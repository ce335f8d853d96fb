"""The chaos suite's machinery, shared by ``bench/chaos.py`` and the integration tests.

``cluster`` runs and kills the services, ``injector`` writes malformed messages, ``observe``
records the committed output, ``checker`` computes the invariants, ``scenario`` runs it all.
"""
