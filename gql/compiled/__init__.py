"""Compiled reads: a query the compiler covers is answered by one SQL statement that returns
the finished JSON (compiler.py), run in one round trip (RequestDatabase.run_compiled), its
text passed into the response body as it is (extension.py)."""
