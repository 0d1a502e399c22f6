#!/usr/bin/env python3
"""Compare maillage's tour plan with VROOM (pyvroom) and OR-Tools on the same instance.

The instance is the JSON written by `maillage tours plan --export-matrix FILE`: the
travel-time matrix in seconds (our estimate), one vehicle per vehicle x weekday x day kind
(start and end at its base, working time window), one job per servable site (service
time, allowed start times: 09:30 or 13:30, the vehicles allowed to take it). All three
solvers minimise total driving time and serve as many sites as possible; the driving time
of every answer is recomputed here from its routes on the same matrix.

Usage: .venv/bin/python bench/tours/compare.py INSTANCE.json [--seconds 30]
"""

import argparse
import json
import sys
import time


def driving(durations, routes):
    """Total driving time of routes given as lists of location indices (base ... base)."""
    total = 0
    for r in routes:
        for a, b in zip(r, r[1:]):
            total += durations[a][b]
    return total


def solve_vroom(inst, seconds):
    import vroom

    d = inst["durations"]
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=d)
    n_jobs = len(inst["jobs"])
    # "allowed vehicles" as skills: job j needs skill j; allowed vehicles carry it.
    skills_of_vehicle = {v["id"]: set() for v in inst["vehicles"]}
    for j, job in enumerate(inst["jobs"]):
        for v in job["allowed_vehicles"]:
            skills_of_vehicle[v].add(j)
    for v in inst["vehicles"]:
        problem.add_vehicle(
            vroom.Vehicle(
                id=v["id"],
                start=v["start"],
                end=v["end"],
                time_window=vroom.TimeWindow(*v["time_window"]),
                skills=skills_of_vehicle[v["id"]],
            )
        )
    for j, job in enumerate(inst["jobs"]):
        problem.add_job(
            vroom.Job(
                id=j,
                location=job["location"],
                default_service=job["service"],
                skills={j},
                time_windows=[vroom.TimeWindow(a, b) for a, b in job["time_windows"]],
            )
        )
    t = time.perf_counter()
    sol = problem.solve(exploration_level=5, nb_threads=2)
    elapsed = time.perf_counter() - t
    routes = []
    served = 0
    df = sol.routes
    for vid, g in df.groupby("vehicle_id"):
        locs = [int(x) for x in g["location_index"]]
        served += int((g["type"] == "job").sum())
        if len(locs) > 2:
            routes.append(locs)
    assert served + len(sol.unassigned) == n_jobs if hasattr(sol, "unassigned") else True
    return driving(d, routes), served, elapsed


def solve_ortools(inst, seconds):
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    d = inst["durations"]
    vehicles = inst["vehicles"]
    jobs = inst["jobs"]
    nv = len(vehicles)
    # Nodes: one start and one end node per vehicle, then one node per job.
    node_loc = []
    starts, ends = [], []
    for v in vehicles:
        starts.append(len(node_loc))
        node_loc.append(v["start"])
        ends.append(len(node_loc))
        node_loc.append(v["end"])
    first_job = len(node_loc)
    for job in jobs:
        node_loc.append(job["location"])
    service = [0] * first_job + [job["service"] for job in jobs]
    manager = pywrapcp.RoutingIndexManager(len(node_loc), nv, starts, ends)
    routing = pywrapcp.RoutingModel(manager)

    def drive(i, j):
        return d[node_loc[manager.IndexToNode(i)]][node_loc[manager.IndexToNode(j)]]

    def time_cb(i, j):
        return service[manager.IndexToNode(i)] + drive(i, j)

    drive_idx = routing.RegisterTransitCallback(drive)
    time_idx = routing.RegisterTransitCallback(time_cb)
    routing.SetArcCostEvaluatorOfAllVehicles(drive_idx)
    horizon = 24 * 3600
    routing.AddDimension(time_idx, horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    for k, v in enumerate(vehicles):
        a, b = v["time_window"]
        tdim.CumulVar(routing.Start(k)).SetRange(a, b)
        tdim.CumulVar(routing.End(k)).SetRange(a, b)
    penalty = 10_000_000
    for j, job in enumerate(jobs):
        idx = manager.NodeToIndex(first_job + j)
        tws = sorted(job["time_windows"])
        cumul = tdim.CumulVar(idx)
        cumul.SetRange(tws[0][0], tws[-1][1])
        for (a1, b1), (a2, b2) in zip(tws, tws[1:]):
            if a2 > b1 + 1:
                cumul.RemoveInterval(b1 + 1, a2 - 1)
        # SetAllowedVehiclesForIndex does not accept Python lists in ortools 9.15's SWIG
        # binding; constraining the vehicle variable is the documented equivalent (-1:
        # unperformed, allowed by the disjunction below).
        routing.VehicleVar(idx).SetValues([-1] + list(job["allowed_vehicles"]))
        routing.AddDisjunction([idx], penalty)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.seconds = int(seconds)
    t = time.perf_counter()
    sol = routing.SolveWithParameters(params)
    elapsed = time.perf_counter() - t
    if sol is None:
        return None, 0, elapsed
    routes, served = [], 0
    for k in range(nv):
        i = routing.Start(k)
        locs = []
        while not routing.IsEnd(i):
            locs.append(node_loc[manager.IndexToNode(i)])
            i = sol.Value(routing.NextVar(i))
        locs.append(node_loc[manager.IndexToNode(i)])
        served += len(locs) - 2
        if len(locs) > 2:
            routes.append(locs)
    return driving(d, routes), served, elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("instance")
    ap.add_argument("--seconds", type=float, default=30, help="time limit for OR-Tools")
    args = ap.parse_args()
    with open(args.instance, encoding="utf-8") as f:
        inst = json.load(f)
    ours = inst["ours"]
    n = len(inst["jobs"])
    print(f"instance {inst['name']}: {n} servable sites, {len(inst['vehicles'])} vehicle-days")
    results = [("maillage (vrp-core)", ours["driving_s"], ours["served"], ours["solve_ms"] / 1000)]
    for name, fn in [("VROOM (pyvroom)", solve_vroom), ("OR-Tools (GLS)", solve_ortools)]:
        try:
            drv, served, el = fn(inst, args.seconds)
        except Exception as e:  # a missing package is reported, not hidden
            print(f"{name}: failed: {e}", file=sys.stderr)
            continue
        results.append((name, drv, served, el))
    # Compare among answers that serve the most sites.
    most = max(r[2] for r in results)
    best = min(r[1] for r in results if r[2] == most and r[1] is not None)
    sys.stdout.flush()
    print(f"{'solver':22} {'served':>6} {'driving (min)':>14} {'ratio/best':>10} {'time (s)':>9}")
    for name, drv, served, el in results:
        ratio = f"{drv / best:.4f}" if served == most and best else "n/a"
        print(f"{name:22} {served:>6} {drv / 60:>14.1f} {ratio:>10} {el:>9.2f}")


if __name__ == "__main__":
    main()
