"""Meta-validation during a search: the top of the hall of fame on the funnel's larger task.

Every ``funnel.meta_every`` candidates (and at the end) the best ``funnel.meta_top`` hall-of-fame
programs not scored yet are meta-validated, one job per program so they spread over the workers,
and re-scored on the funnel's held-out seeds; a last job logs the scores of the whole top in
``meta_validation.jsonl``, so meta-overfitting over search time is visible.
"""

from __future__ import annotations


class MetaValidation:
    """The meta-validation of one :class:`~symopt.search.driver.Search` (its scores and its log).

    Args:
      search: the search.

    Attributes:
      scores: hash -> ``[meta, heldout]``.
      logged: ``(evaluations, hash)`` of the lines already in ``meta_validation.jsonl``.
    """

    def __init__(self, search):
        self.search = search
        self.scores: dict[str, list] = {}     # hash -> [meta, heldout]
        self.logged: set = set()              # (evaluations, hash) lines already in the log

    def heldout_stage(self, entry: dict) -> str:
        """Where held-out seeds re-score an entry: its highest stage, or the configured one.

        Args:
          entry: a hall-of-fame entry.

        Returns:
          The stage's name.
        """
        want = self.search.cfg.funnel.heldout_stage
        return [s for s in self.search.stages if s in entry["fitness"]][-1] if want == "highest" else want

    def submit(self) -> None:
        """Meta-validate the top of the hall of fame not scored yet, then log the scores of the whole top."""
        s = self.search
        top = s.hof.entries()[: s.cfg.funnel.meta_top]
        if not top:
            return
        heldout = list(s.funnel.heldout_seeds) if s.cfg.funnel.heldout else []
        items = [{"hash": e["hash"], "program": e["program"], "stage": self.heldout_stage(e)}
                 for e in top if e["hash"] not in self.scores]
        s.jobs.submit_meta(items, [e["hash"] for e in top], s.counters["candidates"], heldout)

    def tell(self, job, results: list[dict]) -> None:
        """Record a meta job's results; the logging job writes one line per program of the top.

        Args:
          job: the meta job (its ``hashes`` and ``evaluations`` for the logging job).
          results: the workers' results (``hash``, ``meta``, ``heldout``).
        """
        s = self.search
        for r in results:
            self.scores[r["hash"]] = [r["meta"], r["heldout"]]
        lines = []
        for h in job.hashes:
            meta, held = self.scores.get(h, [None, None])
            s.hof.set_scores(h, meta, held)
            if (job.evaluations, h) not in self.logged:
                self.logged.add((job.evaluations, h))
                entry = s.hof.get(h)
                lines.append({"time": round(s.elapsed(), 3), "evaluations": job.evaluations, "hash": h,
                              "meta": meta, "heldout": held,
                              "heldout_stage": self.heldout_stage(entry) if entry else None})
        s.rundir.append_meta(lines)
