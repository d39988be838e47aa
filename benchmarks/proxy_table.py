"""Tuned-optimizer table on the proxy tasks: does tuned Lion beat tuned AdamW and Signum?

For each task, each optimizer (AdamW, Lion, Signum, SGD-momentum, signSGD, all written with optax)
gets its learning rate tuned on a grid of factor-3 steps (the grid is extended while the best lr
sits on an edge), scored by the mean final validation loss over the seeds. The table shows
mean +- std (over seeds) at the tuned lr, and says whether tuned Lion beats tuned AdamW / Signum by
more than 2 sigma (sigma = standard error of the difference of the two means, unpaired).

    python benchmarks/proxy_table.py --quick             # a few minutes
    python benchmarks/proxy_table.py                     # default funnel A/B + vision + synthetic
    python benchmarks/proxy_table.py --tasks lm_tiny --set steps=1000 --set batch_size=32

The Lion gate and ranking fidelity of a funnel (docs/proxies.md), through the project's evaluator
(``make_evaluator(funnel, lr_grid=True)``, seed programs from search_space/seeds/):

    python benchmarks/proxy_table.py --gate lion                 # exit 1 (one line per failing stage) if it fails
    python benchmarks/proxy_table.py --gate lion --backend optax # the same programs written in optax
    python benchmarks/proxy_table.py --fidelity lion             # Spearman of each stage vs meta, two seed sets
    python benchmarks/proxy_table.py --timing lion               # ms per program evaluation, per stage
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import proxies  # noqa: E402

WD = 0.01  # decoupled weight decay of the DESIGN.md programs (update += 0.01 * w, then * lr)


def sign_tx() -> optax.GradientTransformation:
    return optax.stateless(lambda updates, params=None: jax.tree_util.tree_map(jnp.sign, updates))


def signum(lr: float, beta: float = 0.9, weight_decay: float = WD) -> optax.GradientTransformation:
    """Signum: sign of an EMA of the gradient (= Lion with b1 = b2)."""
    return optax.chain(optax.ema(beta, debias=False), sign_tx(), optax.add_decayed_weights(weight_decay),
                       optax.scale(-lr))


def signsgd(lr: float) -> optax.GradientTransformation:
    return optax.chain(sign_tx(), optax.scale(-lr))


# name -> (constructor at base lr 1.0 * base, base lr). The grid multiplies the base lr.
OPTIMIZERS = {
    "adamw": (lambda lr: optax.adamw(lr, b1=0.9, b2=0.999, weight_decay=WD), 1e-2),
    "lion": (lambda lr: optax.lion(lr, b1=0.9, b2=0.99, weight_decay=WD), 3e-3),
    "signum": (lambda lr: signum(lr, 0.9), 3e-3),
    "sgdm": (lambda lr: optax.sgd(lr, momentum=0.9), 1e-1),
    "signsgd": (lambda lr: signsgd(lr), 3e-3),
}


GRID_DEFAULT = "0.1,0.3,1,3"


def tune(trainer, seeds, grid0, max_extend=3):
    """Evaluate lr multipliers on ``grid0`` (factor-3 apart), extend while the best is at an edge.
    Returns (best multiplier, {multiplier: per-seed losses})."""
    res: dict[float, np.ndarray] = {}

    def ev(m):
        if m not in res:
            res[m] = np.array([float(trainer(s, m)) for s in seeds])
        return float(np.mean(res[m]))

    grid = list(grid0)
    for m in grid:
        ev(m)
    for _ in range(max_extend):
        ms = sorted(res)
        best = min(ms, key=lambda m: float(np.mean(res[m])))
        if best == ms[0]:
            ev(ms[0] / 3)
        elif best == ms[-1]:
            ev(ms[-1] * 3)
        else:
            break
    best = min(res, key=lambda m: float(np.mean(res[m])))
    return best, res


def beats(a: np.ndarray, b: np.ndarray) -> tuple[bool, float]:
    """Does ``a`` have lower mean than ``b`` by > 2 sigma? Returns (verdict, z)."""
    n_a, n_b = len(a), len(b)
    se = math.sqrt(a.var(ddof=1) / n_a + b.var(ddof=1) / n_b) if min(n_a, n_b) > 1 else float("nan")
    d = float(b.mean() - a.mean())
    z = d / se if se > 0 else (float("inf") if d > 0 else float("-inf"))
    return bool(z > 2.0), z


def run_task(name, overrides, opts, seeds, grid0, log):
    task = proxies.get_task(name, **overrides)
    out = {"task": name, "overrides": overrides, "param_count": task.info["param_count"], "steps": task.steps,
           "batch_size": task.batch_size, "opts": {}}
    for o in opts:
        make, base = OPTIMIZERS[o]
        trainer = proxies.make_optax_trainer(task, make(base))
        t0 = time.perf_counter()
        trainer(seeds[0], 1.0).block_until_ready()
        t_compile = time.perf_counter() - t0
        t0 = time.perf_counter()
        best, res = tune(trainer, seeds, grid0)
        n_runs = len(res) * len(seeds)
        secs = (time.perf_counter() - t0) / n_runs
        v = res[best]
        sd = float(v.std(ddof=1)) if len(v) > 1 else 0.0
        out["opts"][o] = {"lr": base * best, "mean": float(v.mean()), "std": sd,
                          "losses": v.tolist(), "sec_per_run": secs, "compile_s": t_compile,
                          "grid": {f"{base * m:.3g}": float(np.mean(r)) for m, r in sorted(res.items())}}
        log(f"  {name:18s} {o:8s} lr={base * best:.3g} {v.mean():.4f} +- {out['opts'][o]['std']:.4f} "
            f"({secs:.2f}s/run, {n_runs} runs, grid {out['opts'][o]['grid']})")
    if "lion" in out["opts"]:
        lion = np.array(out["opts"]["lion"]["losses"])
        for other in ("adamw", "signum"):
            if other in out["opts"]:
                ok, z = beats(lion, np.array(out["opts"][other]["losses"]))
                out[f"lion_beats_{other}"] = {"verdict": ok, "z": z}
    return out


def fmt_table(results, opts) -> str:
    head = "| task | params | steps x batch | s/run | " + " | ".join(opts) + " | Lion < AdamW (z) | Lion < Signum (z) |"
    sep = "|" + "---|" * (4 + len(opts) + 2)
    rows = [head, sep]
    for r in results:
        o0 = next(iter(r["opts"].values()))
        cells = []
        best = min(v["mean"] for v in r["opts"].values())
        for o in opts:
            v = r["opts"].get(o)
            if v is None:
                cells.append("-")
                continue
            c = f"{v['mean']:.4f} ± {v['std']:.4f} (lr {v['lr']:.2g})"
            cells.append(f"**{c}**" if v["mean"] == best else c)

        def verdict(k, r=r):
            return f"{'yes' if r[k]['verdict'] else 'no'} ({r[k]['z']:+.1f})" if k in r else "-"
        ov = "".join(f", {k}={v}" for k, v in r["overrides"].items())
        rows.append(f"| {r['task']}{ov} | {r['param_count']} | {r['steps']} x {r['batch_size']} | "
                    f"{o0['sec_per_run']:.2f} | " + " | ".join(cells) +
                    f" | {verdict('lion_beats_adamw')} | {verdict('lion_beats_signum')} |")
    return "\n".join(rows)


def parse_set(items):
    out = {}
    for it in items or []:
        k, _, v = it.partition("=")
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


FIDELITY_PROGRAMS = ("lion", "signum", "adamw", "adam", "signsgd", "sgd_momentum", "rmsprop", "addsign", "powersign")


def _seed_programs(names):
    from search_space.seeds import load_seed

    return {n: load_seed(n) for n in names}


def _parse_seeds(text: str) -> tuple[int, ...]:
    """``"0-4"`` or ``"0,1,2"`` -> tuple of ints."""
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi) + 1) if hi else [int(lo)])
    return tuple(out)


def run_gate(args, log) -> int:
    from proxies.gate import evaluator_backend, measure_gate, optax_backend

    if args.backend == "optax":
        backend = optax_backend()
    else:
        from symopt.evaluation import make_evaluator

        progs = _seed_programs(("lion", "signum", "adamw"))
        backend = evaluator_backend(make_evaluator(args.gate, lr_grid=True), progs)
    t0 = time.perf_counter()
    res = measure_gate(args.gate, backend, n_seeds=args.gate_seeds, heldout=not args.no_heldout,
                       stages=args.stages, log=log)
    print(res.table())
    print(f"\nfunnel {res.funnel!r}, backend {args.backend}, lr grid x(1/3, 1, 3) per optimizer; "
          f"z = (mean_other - mean_lion) / sqrt(sd_lion^2/n + sd_other^2/n); {time.perf_counter() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"funnel": res.funnel, "backend": args.backend, "passed": res.passed,
                       "rows": [{"stage": r.stage, "split": r.split, "task": r.task, "seeds": r.seeds,
                                 "losses": r.losses, "scales": r.scales, "z": r.z, "passed": r.passed,
                                 "seconds": r.seconds} for r in res.rows]}, fh, indent=1)
    for line in res.failures():
        print(line, file=sys.stderr)
    return 0 if res.passed else 1


def run_fidelity(args, log) -> int:
    from proxies.gate import ranking_fidelity
    from symopt.evaluation import make_evaluator

    ev = make_evaluator(args.fidelity, lr_grid=True)
    names = list(FIDELITY_PROGRAMS)
    progs = _seed_programs(names)
    seed_sets = [_parse_seeds(x) for x in args.seed_sets]
    stages = [s.name for s in ev.funnel.stages]

    def fitness(stage, seeds):
        t0 = time.perf_counter()
        f = ev.evaluate([progs[n] for n in names], stage, seeds)
        log(f"  {stage} seeds {seeds}: " + ", ".join(f"{n} {x:.3f}" for n, x in zip(names, f))
            + f" ({time.perf_counter() - t0:.0f} s)")
        return f

    t0 = time.perf_counter()
    r = ranking_fidelity(fitness, stages, seed_sets)
    sets = [f"{s[0]}-{s[-1]}" if list(s) == list(range(s[0], s[-1] + 1)) else ",".join(map(str, s)) for s in seed_sets]
    print("| program | " + " | ".join(f"{st} (seeds {ss})" for ss in sets for st in (*stages, "meta")) + " |")
    print("|---|" + "---|" * (len(sets) * (len(stages) + 1)))
    for j, n in enumerate(names):
        print(f"| {n} | " + " | ".join(f"{r['fitness'][(st, i)][j]:.3f}" for i in range(len(sets))
                                      for st in (*stages, "meta")) + " |")
    print()
    print("| stage | " + " | ".join(f"Spearman vs meta (seeds {ss})" for ss in sets)
          + (" | Spearman across seed sets |" if len(sets) > 1 else " |"))
    print("|---|" + "---|" * (len(sets) + (len(sets) > 1)))
    for st in (*stages, "meta"):
        cells = [("1" if st == "meta" else f"{r['rho_meta'][(st, i)]:+.2f}") for i in range(len(sets))]
        if len(sets) > 1:
            cells.append(f"{r['rho_seeds'][st]:+.2f}")
        print(f"| {st} | " + " | ".join(cells) + " |")
    print(f"\nfunnel {ev.funnel.name!r}: lr-tuned fitness of {len(names)} seed programs "
          f"(make_evaluator(funnel, lr_grid=True).evaluate: each program at its best lr scale, over the reference "
          f"AdamW tuned by the evaluator); {time.perf_counter() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"programs": names, "seed_sets": seed_sets,
                       "fitness": {f"{k[0]}/{k[1]}": v for k, v in r["fitness"].items()},
                       "rho_meta": {f"{k[0]}/{k[1]}": v for k, v in r["rho_meta"].items()},
                       "rho_seeds": r["rho_seeds"]}, fh, indent=1)
    return 0


# Variants for the optimizer ablations in docs/proxies.md: "lion:b1=0.9,b2=0.999", "signum:b=0.99",
# "adamw:b1=0.99". Same constants as search_space/seeds/{lion,signum,adamw}.program otherwise.
VARIANTS = {
    "lion": ({"b1": 0.9, "b2": 0.99}, """def train(w, g, m, v, lr):
    update = interp(g, m, {b1})
    update = sign(update)
    m = interp(g, m, {b2})
    wd = w * 0.01
    update = update + wd
    lr = lr * 0.0003
    update = update * lr
    return update, m, v
"""),
    "signum": ({"b": 0.9}, """def train(w, g, m, v, lr):
    m = interp(g, m, {b})
    update = sign(m)
    lr = lr * 0.0003
    update = update * lr
    return update, m, v
"""),
    "adamw": ({"b1": 0.9, "b2": 0.999}, """def train(w, g, m, v, lr):
    g2 = square(g)
    m = interp(g, m, {b1})
    v = interp(g2, v, {b2})
    sqrt_v = sqrt(v)
    update = m / sqrt_v
    wd = w * 0.01
    update = update + wd
    lr = lr * 0.001
    update = update * lr
    return update, m, v
"""),
}


def load_program(spec: str):
    """A seed name, a .program file, or a variant ``lion:b1=0.5,b2=0.99`` (see VARIANTS)."""
    from search_space.parser import parse
    from search_space.seeds import load_seed

    name, sep, params = spec.partition(":")
    if not sep:
        return load_seed(spec)
    if name not in VARIANTS:
        raise ValueError(f"unknown program variant {name!r} (known: {', '.join(VARIANTS)})")
    values, text = VARIANTS[name]
    values = dict(values)
    for kv in params.split(","):
        k, _, v = kv.partition("=")
        if k not in values:
            raise ValueError(f"variant {name!r} has no parameter {k!r} (known: {', '.join(values)})")
        values[k] = float(v)
    return parse(text.format(**values), file=f"<variant {spec}>")


def _label(spec: str) -> str:
    return os.path.basename(spec).removesuffix(".program")


def run_programs(args, log) -> int:
    """Tuned table of optimizer PROGRAMS trained by the project's interpreter (the search's view)."""
    from symopt.evaluation.encoding import encode
    from symopt.evaluation.interpreter import Interpreted

    seeds = list(range(args.seeds))
    grid = [float(x) for x in args.grid.split(",")]
    overrides = parse_set(args.set)
    results = []
    t_all = time.perf_counter()
    for name in args.tasks:
        task = proxies.get_task(name, **overrides)
        it = Interpreted(task)
        out = {"task": name, "overrides": overrides, "param_count": task.info["param_count"], "steps": task.steps,
               "batch_size": task.batch_size, "opts": {}}
        for prog in args.programs:
            label = _label(prog)
            enc = encode(load_program(prog))
            memo: dict[float, np.ndarray] = {}

            def trainer(s, m, enc=enc, memo=memo, it=it):   # all seeds in one vmapped call per lr scale
                if m not in memo:
                    memo[m] = np.asarray(it.losses([enc], seeds, m), np.float64)[0]
                return memo[m][seeds.index(s)]
            t0 = time.perf_counter()
            best, res = tune(trainer, seeds, grid, max_extend=args.max_extend)
            n_runs = len(res) * len(seeds)
            v = res[best]
            fin = bool(np.all(np.isfinite(v)))
            out["opts"][label] = {"lr": best, "mean": float(v.mean()) if fin else math.inf,
                                  "std": float(v.std(ddof=1)) if fin and len(v) > 1 else 0.0,
                                  "losses": v.tolist(), "sec_per_run": (time.perf_counter() - t0) / n_runs,
                                  "grid": {f"{m:.3g}": float(np.mean(r)) for m, r in sorted(res.items())}}
            log(f"  {name:16s} {label:14s} x{best:.3g} {out['opts'][label]['mean']:.5f} +- "
                f"{out['opts'][label]['std']:.5f} (grid {out['opts'][label]['grid']})")
        if "lion" in out["opts"]:
            lion = np.array(out["opts"]["lion"]["losses"])
            for other in out["opts"]:
                if other != "lion":
                    ok, z = beats(lion, np.array(out["opts"][other]["losses"]))
                    out[f"lion_beats_{other}"] = {"verdict": ok, "z": z}
        results.append(out)
    labels = [_label(p) for p in args.programs]
    print(fmt_program_table(results, labels))
    print(f"\n{len(seeds)} seeds; lr scale (x the task's peak_lr) tuned per program on the grid x{grid}, "
          f"extended by factors of 3 while the best is at an edge; total {time.perf_counter() - t_all:.0f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)
    return 0


def fmt_program_table(results, labels) -> str:
    rivals = [o for o in labels if o != "lion"]
    head = ("| task | " + " | ".join(labels) + " | "
            + " | ".join(f"z Lion vs {o}" for o in rivals if "lion" in labels) + " |")
    rows = [head, "|" + "---|" * (1 + len(labels) + (len(rivals) if "lion" in labels else 0))]
    for r in results:
        best = min(v["mean"] for v in r["opts"].values())
        cells = []
        for o in labels:
            v = r["opts"][o]
            c = f"{v['mean']:.4f} ± {v['std']:.4f} (x{v['lr']:.3g})"
            cells.append(f"**{c}**" if v["mean"] == best else c)
        zs = [f"{r[f'lion_beats_{o}']['z']:+.1f}" for o in rivals] if "lion" in labels else []
        ov = "".join(f", {k}={v}" for k, v in r["overrides"].items())
        rows.append(f"| {r['task']}{ov} | " + " | ".join(cells) + (" | " + " | ".join(zs) if zs else "") + " |")
    return "\n".join(rows)


def run_timing(args, log) -> int:
    from symopt.evaluation import make_evaluator

    progs = _seed_programs(("lion", "signum"))     # not adamw: the evaluator caches the reference's losses
    rows = []
    for grid in (False, True):
        ev = make_evaluator(args.timing, lr_grid=grid)
        for st in (*ev.funnel.stages, ev.funnel.meta):
            if args.stages and st.name not in args.stages:
                continue
            t0 = time.perf_counter()
            ev.evaluate([progs["lion"]], st.name)            # warm-up: compile, AdamW reference
            warm = time.perf_counter() - t0
            ts = []
            for k in range(args.repeats):
                p = progs[("lion", "signum")[k % 2]]
                t0 = time.perf_counter()
                ev.evaluate([p], st.name)
                ts.append(time.perf_counter() - t0)
            rows.append((st.name, st.task, len(st.seeds), grid, warm, float(np.median(ts)), min(ts),
                         ev.strategy_for(ev.task(st.task), tuple(st.seeds))))
            log(f"  {st.name} {st.task} lr_grid={grid}: median {rows[-1][5] * 1e3:.1f} ms, warm-up {warm:.1f} s")
    print("| stage | task | seeds | lr scales | strategy | warm-up s | ms / program (median) | ms (min) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, task, ns, grid, warm, med, mn, strat in rows:
        print(f"| {name} | {task} | {ns} | {3 if grid else 1} | {strat} | {warm:.1f} | {med * 1e3:.1f} "
              f"| {mn * 1e3:.1f} |")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gate", metavar="FUNNEL", help="measure the Lion gate of FUNNEL (exit 1 if it fails)")
    ap.add_argument("--backend", choices=("program", "optax"), default="program",
                    help="gate: the project's evaluator on the seed programs, or the same programs in optax")
    ap.add_argument("--gate-seeds", type=int, default=5, help="gate: seeds per stage (>= 5), held-out seeds besides")
    ap.add_argument("--no-heldout", action="store_true", help="gate: skip the held-out seeds")
    ap.add_argument("--stages", nargs="*", help="gate/timing: only these stages (A B C meta)")
    ap.add_argument("--fidelity", metavar="FUNNEL", help="ranking fidelity of FUNNEL's stages vs meta")
    ap.add_argument("--seed-sets", nargs="*", default=["0-4", "5-9"], help="fidelity: disjoint seed sets")
    ap.add_argument("--timing", metavar="FUNNEL", help="ms per program evaluation of each stage of FUNNEL")
    ap.add_argument("--programs", nargs="*", help="train these seed programs (names or .program files) through "
                    "the project's interpreter on --tasks instead of the optax optimizers; --grid is then x the "
                    "task's lr (default x1/27..x27)")
    ap.add_argument("--spectrum", metavar="TASK", help="excess loss by quarter of the input spectrum of a "
                    "lanes_linear TASK for tuned lion/signum/adamw (seed programs in optax)")
    ap.add_argument("--max-extend", type=int, default=3, help="grid extensions (factor 3) while the best is at an edge")
    ap.add_argument("--repeats", type=int, default=9, help="timing: timed evaluations per stage")
    ap.add_argument("--quick", action="store_true", help="stage-A task + fast tasks, 3 seeds, small grid")
    ap.add_argument("--tasks", nargs="*", help="task names (default: funnel A and B, vision, synthetic)")
    ap.add_argument("--funnel", default="lm", help="tuned-optimizer table: the funnel whose A/B tasks are listed")
    # --spectrum trains lion, signum, adamw (the gate's seed programs in optax)
    ap.add_argument("--opts", nargs="*", default=list(OPTIMIZERS), choices=list(OPTIMIZERS))
    ap.add_argument("--seeds", type=int, default=3, help="number of seeds (0..n-1)")
    ap.add_argument("--grid", default=GRID_DEFAULT, help="lr multipliers of the base lr (factor 3 apart)")
    ap.add_argument("--set", action="append", help="task override KEY=VALUE (JSON value), for every task")
    ap.add_argument("--json", help="write all results to this JSON file")
    return ap


def run_study(args, ap: argparse.ArgumentParser, log) -> int | None:
    """The study asked for (--gate, --fidelity, --timing, --spectrum, --programs): its exit status, or
    None when none is (then the tuned-optimizer table runs).  A bad funnel or task config: one line, exit 1."""
    try:
        for name in (args.gate, args.fidelity, args.timing):
            if name:
                proxies.load_funnel(name)       # a bad name or config: one line, exit 1
        if args.gate:
            return run_gate(args, log)
        if args.fidelity:
            return run_fidelity(args, log)
        if args.timing:
            return run_timing(args, log)
        if args.spectrum:
            from proxy_spectrum import run_spectrum  # benchmarks/, the directory of this script

            if args.opts == list(OPTIMIZERS):
                args.opts = ["lion", "signum", "adamw"]
            return run_spectrum(args.spectrum, parse_set(args.set), args.opts, args.seeds, log)
        if args.programs:
            if not args.tasks:
                ap.error("--programs needs --tasks")
            if args.grid == GRID_DEFAULT:
                args.grid = "0.037,0.111,0.333,1,3,9,27"
            return run_programs(args, log)
    except ValueError as exc:        # bad funnel / task config: one line
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return None


def run_optimizer_table(args, log) -> None:
    """The tuned-optimizer table (optax optimizers) on --tasks, or the funnel's A/B tasks and the fast ones."""
    f = proxies.load_funnel(args.funnel)
    if args.tasks:
        tasks = args.tasks
    elif args.quick:
        tasks = [f.stages[0].task, "digits_mlp", "synth_linear", "synth_teacher"]
    else:
        tasks = [f.stages[0].task, f.stages[1].task, "digits_mlp", "digits_vit", "synth_linear",
                 "synth_linear_rot", "synth_teacher", "lm_mlp"]
    grid = [float(x) for x in args.grid.split(",")]
    seeds = list(range(args.seeds))
    overrides = parse_set(args.set)
    log(f"jax {jax.__version__} on {jax.devices()[0].platform}; seeds {seeds}; grid x{grid} of base lrs "
        f"{ {o: OPTIMIZERS[o][1] for o in args.opts} }")
    t0 = time.perf_counter()
    results = [run_task(t, overrides, args.opts, seeds, grid, log) for t in tasks]
    print(fmt_table(results, args.opts))
    print(f"\n{len(seeds)} seeds, lr tuned per optimizer on factor-3 grids; total {time.perf_counter() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)


def main(argv=None):
    ap = build_parser()
    args = ap.parse_args(argv)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    status = run_study(args, ap, log)
    if status is not None:
        return status
    run_optimizer_table(args, log)
    return None


if __name__ == "__main__":
    sys.exit(main())
