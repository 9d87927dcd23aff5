// Empty on purpose: the one source of pushcheck_catch_main that uses (so builds) the Catch2 PCH.
