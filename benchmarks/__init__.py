"""`python -m benchmarks`: every performance figure beside a floor measured in the same run.

A benchmark is a coroutine function taking a `Scale` and returning `Figure`s. The runner prints one table
and writes `benchmarks/results/latest.json`. Tests only run a tiny smoke scale (so the code cannot rot);
they never assert a time, since machines differ: the ratio to the floor is what is compared to a target.
"""
