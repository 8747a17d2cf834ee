"""Benchmark: YiZhi text de-identification vs Microsoft Presidio, on held-out labeled data.

    .venv/bin/python bench/deid_text.py [--quick]
    .venv/bin/python bench/deid_text.py --memory-mb 100     # add a large streamed-input memory run
    .venv/bin/python bench/deid_text.py --cli-speed         # only the CLI's MB per CPU-second, en and zh

1. Accuracy on data the recognizers were not tuned on: the Chinese and English clinical held-out splits
   (tests/deid_text/data/{zh,en}_test.jsonl) and the odd-template half of presidio-research's
   synth_dataset_v2 (../shared/data/deid-text/), plus that whole file, labelled as partly tuned on. Character- and entity-level recall/precision,
   type-agnostic (a character counts as removed if any span covers it), per gold type for YiZhi.
2. Documents per second, YiZhi vs Presidio on the same documents in the same run, one process each.
   Presidio runs offline as the issue asks: a blank spaCy pipeline plus its predefined pattern
   recognizers (English), plus hand-added Chinese patterns (mobile, 身份证, dates) for Chinese. English is
   also run without its CRF tagger (the rules alone) to show what the tagger adds and costs.
3. MB/s per core through the CLI with --workers 1 and 2, and peak memory of a streamed input at
   two sizes (flat memory: the peak must not grow with the input).

Writes bench/results/deid_text.json and bench/results/deid_text.md.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from yizhi.deid.text import detect, detect_many  # noqa: E402
from yizhi.deid.text.recognizers import base  # noqa: E402
from yizhi.deid.text.metrics import Evaluation, presidio_gold, presidio_split, score_document  # noqa: E402
from yizhi.deid.text.recognizers.tagger import tag_every_sentence  # noqa: E402

DATA = ROOT / "tests" / "deid_text" / "data"
PRESIDIO_SET = ROOT / ".." / "shared" / "data" / "deid-text" / "presidio_synth_dataset_v2.json"
RESULTS = ROOT / "bench" / "results"


# --- data ----------------------------------------------------------------------------------------
def chinese_notes() -> list[dict]:
    return [json.loads(line) for line in (DATA / "zh_test.jsonl").read_text(encoding="utf-8").splitlines()]


def english_clinical_notes() -> list[dict]:
    return [json.loads(line) for line in (DATA / "en_test.jsonl").read_text(encoding="utf-8").splitlines()]


def english_samples(held_out_only: bool = True, safe_harbor: bool = True) -> list[dict]:
    """presidio-research samples: the odd-template half (held out) or the whole file; gold spans are
    the Safe Harbor identifiers (``metrics.presidio_gold`` documents what is left out) or every label."""
    samples = json.loads(PRESIDIO_SET.read_text(encoding="utf-8"))
    return [{"id": str(index), "text": sample["full_text"], "spans": presidio_gold(sample, safe_harbor)}
            for index, sample in enumerate(samples)
            if not held_out_only or presidio_split(sample["template_id"]) == "test"]


# --- Presidio, offline ------------------------------------------------------------------------------
def presidio_analyzer(languages: list[str]):
    import spacy
    import tldextract
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    # No network: tldextract would fetch the public-suffix list; use its bundled snapshot.
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=())

    class BlankSpacy(SpacyNlpEngine):
        def __init__(self, langs):
            super().__init__(models=[{"lang_code": lang, "model_name": "blank"} for lang in langs])
            self.nlp = {lang: spacy.blank(lang) for lang in langs}

        def load(self):
            pass

    engine = BlankSpacy(languages)
    registry = RecognizerRegistry(supported_languages=languages)
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
    if "zh" in languages:
        zh_patterns = {
            "PHONE_NUMBER": [r"1[3-9]\d{9}", r"0\d{2,3}-\d{7,8}"],
            "CN_ID": [r"\d{17}[\dXx]", r"\d{15}"],
            "DATE_TIME": [r"\d{4}年\d{1,2}月\d{1,2}日", r"\d{1,2}月\d{1,2}日", r"\d{4}[-./]\d{1,2}[-./]\d{1,2}"],
            "EMAIL_ADDRESS": [r"[\w.+-]+@[\w-]+\.[\w.]+"],
        }
        for entity, regexes in zh_patterns.items():
            registry.add_recognizer(PatternRecognizer(
                supported_entity=entity, supported_language="zh", name=f"zh_{entity}",
                patterns=[Pattern(f"zh_{entity}_{i}", rx, 0.6) for i, rx in enumerate(regexes)]))
    return AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=languages)


@contextmanager
def english_tagger_off():
    """Run without the English CRF tagger (the rules alone), restoring the registry afterwards."""
    saved = list(base._REGISTRY)
    base.unregister("en_tagger")
    try:
        yield
    finally:
        base._REGISTRY[:] = saved


# --- measurement ------------------------------------------------------------------------------------
def evaluate(notes: list[dict], predict) -> Evaluation:
    evaluation = Evaluation()
    for note in notes:
        score_document(note["text"], note["spans"], predict(note["text"]), evaluation, note["id"])
    return evaluation


def docs_per_second(texts: list[str], run, repeat: int = 1) -> float:
    run(texts[0])
    start = time.perf_counter()
    for _ in range(repeat):
        for text in texts:
            run(text)
    return len(texts) * repeat / (time.perf_counter() - start)


def cli_run(source: Path, workers: int) -> dict:
    """Run the real CLI in a fresh process; wall time and peak RSS (process + workers)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jsonl"
        code = (
            "import resource, sys, time\n"
            "from yizhi.cli import app\n"
            "t = time.perf_counter()\n"
            "cpu = time.process_time()\n"
            f"try:\n    app(['deid', 'text', {str(source)!r}, {str(out)!r}, '--workers', '{workers}'], standalone_mode=False)\n"
            "except SystemExit as e:\n    assert not e.code, e\n"
            "dt = time.perf_counter() - t\n"
            "own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
            "print(dt, time.process_time() - cpu, own, kids)\n"
        )
        # (this tree's code, not whichever yizhi the interpreter has installed)
        env = {**os.environ, "YIZHI_DATA_DIR": tmp,
               "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT / "src"), os.environ.get("PYTHONPATH"))))}
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True)
        seconds, cpu, own, kids = proc.stdout.split()[-4:]
        # cpu: the main process's CPU seconds (with --workers 1 all the work; workers are not counted)
        return {"seconds": float(seconds), "cpu_seconds": round(float(cpu), 3), "peak_rss_mb": round(int(own) / 1024, 1),
                "worker_peak_rss_mb": round(int(kids) / 1024, 1)}


def make_corpus(path: Path, target_bytes: int) -> int:
    """A .jsonl mixing the Chinese notes and English sentences, repeated to ``target_bytes``."""
    lines = [json.dumps({"id": n["id"], "text": n["text"]}, ensure_ascii=False) for n in chinese_notes()]
    lines += [json.dumps({"id": n["id"], "text": n["text"]}, ensure_ascii=False) for n in english_samples(False)]
    size = 0
    with path.open("w", encoding="utf-8") as handle:
        index = 0
        while size < target_bytes:
            line = lines[index % len(lines)] + "\n"
            handle.write(line)
            size += len(line.encode())
            index += 1
    return size


# --- report -----------------------------------------------------------------------------------------
def summary_row(name: str, evaluation: Evaluation) -> dict:
    return {"system": name, **evaluation.report()["overall"]}


def memory_only(megabytes: int) -> None:
    """`--memory-mb N`: stream an N MB mixed input through the CLI (2 workers) and add the peak
    memory to the committed results; the input is generated in a temporary directory, never kept."""
    path = RESULTS / "deid_text.json"
    results = json.loads(path.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "large.jsonl"
        size = make_corpus(source, megabytes * 1_000_000)
        run = cli_run(source, 2)
    run["mb_per_s"] = round(size / 1e6 / run["seconds"], 3)
    results["cli"][f"memory_{megabytes}mb_workers_2"] = {"input_mb": round(size / 1e6, 2), **run}
    tmp_json = RESULTS / "deid_text.json.tmp"
    tmp_json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp_json.replace(path)
    markdown = render_markdown(results)
    (RESULTS / "deid_text.md.tmp").write_text(markdown, encoding="utf-8")
    (RESULTS / "deid_text.md.tmp").replace(RESULTS / "deid_text.md")
    print(markdown)


def _shared_file(relative: str) -> Path:
    """A file of ../shared/data beside this checkout, or beside the main checkout when this is a git
    worktree (read in place either way)."""
    candidates = [ROOT / ".." / "shared" / "data" / relative]
    try:
        common = subprocess.run(["git", "rev-parse", "--git-common-dir"], capture_output=True, text=True, cwd=ROOT,
                                check=True).stdout.strip()
        candidates.append((ROOT / common).resolve().parent / ".." / "shared" / "data" / relative)
    except (OSError, subprocess.CalledProcessError):
        pass
    return next((path for path in candidates if path.exists()), candidates[0])


MTSAMPLES = _shared_file("clinical-text/en_mtsamples.jsonl")


def _write_corpus(path: Path, lines: list[str], target_bytes: int) -> int:
    """``lines`` (JSON lines), in order and repeated when they run out, up to ``target_bytes``."""
    size, index = 0, 0
    with path.open("w", encoding="utf-8") as handle:
        while size < target_bytes and lines:
            line = lines[index % len(lines)] + "\n"
            handle.write(line)
            size += len(line.encode())
            index += 1
    return size


def cli_speed(target_mb: float = 3.0) -> dict:
    """`--cli-speed`: the CLI (`--workers 1`, fresh process each) on real English reports (MTSamples, read
    in place, the first ``target_mb``) and on the Chinese dev notes (zh_dev and notes/zh_notes_dev, repeated
    to ``target_mb``); also on one document of each, which gives the start-up (dictionaries, models,
    compiled databases). CPU seconds are the figure to compare on a shared machine; MB per CPU-second
    is given with and without the start-up."""
    if not MTSAMPLES.exists():
        sys.exit(f"missing {MTSAMPLES}: the MTSamples reports are needed for the English CLI speed")
    english = []
    with MTSAMPLES.open(encoding="utf-8") as handle:
        for raw in handle:
            record = json.loads(raw)
            english.append(json.dumps({"id": record["id"], "text": record["text"]}, ensure_ascii=False))
    chinese = [json.dumps({"id": note["id"], "text": note["text"]}, ensure_ascii=False)
               for name in ("zh_dev.jsonl", "notes/zh_notes_dev.jsonl")
               for note in map(json.loads, (DATA / name).read_text(encoding="utf-8").splitlines()) if note.get("text")]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, lines in (("en_mtsamples", english), ("zh_dev_notes", chinese)):
            source, single = Path(tmp) / f"{name}.jsonl", Path(tmp) / f"{name}_one.jsonl"
            size = _write_corpus(source, lines, int(target_mb * 1_000_000))
            _write_corpus(single, lines[:1], 1)
            _cli_warm_caches(single)
            start, run = cli_run(single, 1), cli_run(source, 1)
            work = max(run["cpu_seconds"] - start["cpu_seconds"], 1e-9)
            results[name] = {
                "input_mb": round(size / 1e6, 2), **run, "startup_cpu_seconds": start["cpu_seconds"],
                "mb_per_cpu_second": round(size / 1e6 / run["cpu_seconds"], 3),
                "mb_per_cpu_second_after_startup": round(size / 1e6 / work, 3),
                "mb_per_s_wall": round(size / 1e6 / run["seconds"], 3),
            }
            print(name, results[name], file=sys.stderr)
    return results


def _cli_warm_caches(single: Path) -> None:
    """One run first, so the compiled Hyperscan databases are in the on-disk cache (hs_cache.py), as on any
    machine after its first run: the timed runs then measure the steady state."""
    cli_run(single, 1)


def cli_speed_only() -> None:
    path = RESULTS / "deid_text.json"
    results = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    speed = cli_speed()
    results["cli_speed"] = {"date": time.strftime("%Y-%m-%d %H:%M"),
                            "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
                            "machine": "shared (2 cores, other processes running): CPU seconds grow with the load, "
                                       "compare runs alternated in one sitting", **speed}
    RESULTS.mkdir(parents=True, exist_ok=True)
    tmp_json = RESULTS / "deid_text.json.tmp"
    tmp_json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp_json.replace(path)
    if "accuracy" in results:
        markdown = render_markdown(results)
        (RESULTS / "deid_text.md.tmp").write_text(markdown, encoding="utf-8")
        (RESULTS / "deid_text.md.tmp").replace(RESULTS / "deid_text.md")
    print(json.dumps(results["cli_speed"], indent=1))


def main() -> None:
    if "--cli-speed" in sys.argv:
        cli_speed_only()
        return
    if "--memory-mb" in sys.argv:
        memory_only(int(sys.argv[sys.argv.index("--memory-mb") + 1]))
        return
    quick = "--quick" in sys.argv
    if not PRESIDIO_SET.exists():
        sys.exit(f"missing {PRESIDIO_SET}: the shared English labeled set is needed")
    zh_notes = chinese_notes()
    en_notes = english_samples()
    analyzer = presidio_analyzer(["en", "zh"])

    def ours(lang):
        return lambda text: [s.public() for s in detect(text, lang)]

    def ours_every_sentence(lang):
        def run(text):
            with tag_every_sentence():
                return [s.public() for s in detect(text, lang)]
        return run

    def ours_without_en_tagger(lang):
        """The rules alone, for English: what the CRF tagger adds in recall and costs in speed."""
        def run(text):
            with english_tagger_off():
                return [s.public() for s in detect(text, lang)]
        return run

    def presidio(lang):
        return lambda text: [{"start": r.start, "end": r.end, "type": r.entity_type}
                             for r in analyzer.analyze(text, language=lang)]

    print("accuracy (held-out) ...", file=sys.stderr)
    en_clinical = english_clinical_notes()
    en_all_labels = english_samples(safe_harbor=False)
    en_whole = english_samples(held_out_only=False)
    accuracy = {
        "zh_test": {"yizhi": evaluate(zh_notes, ours("zh")), "presidio": evaluate(zh_notes, presidio("zh")),
                    "yizhi_tagger_on_every_sentence": evaluate(zh_notes, ours_every_sentence("zh"))},
        "en_clinical_test": {"yizhi": evaluate(en_clinical, ours("en")), "presidio": evaluate(en_clinical, presidio("en")),
                             "yizhi_without_en_tagger": evaluate(en_clinical, ours_without_en_tagger("en"))},
        "en_presidio_odd_templates": {"yizhi": evaluate(en_notes, ours("en")), "presidio": evaluate(en_notes, presidio("en")),
                                      "yizhi_without_en_tagger": evaluate(en_notes, ours_without_en_tagger("en"))},
        "en_presidio_odd_templates_all_labels": {"yizhi": evaluate(en_all_labels, ours("en")),
                                                 "presidio": evaluate(en_all_labels, presidio("en"))},
        "en_presidio_whole_file_partly_tuned_on": {"yizhi": evaluate(en_whole, ours("en")),
                                                   "presidio": evaluate(en_whole, presidio("en"))},
    }

    print("documents per second ...", file=sys.stderr)
    zh_texts = [n["text"] for n in zh_notes]
    en_texts = [n["text"] for n in english_samples(False)]
    en_clinical_texts = [n["text"] for n in en_clinical]
    speed = {}
    from yizhi.deid.text.recognizers.tagger import prefetch

    def ours_batched(texts, lang, size=32):
        start = time.perf_counter()
        for first in range(0, len(texts), size):
            chunk = texts[first : first + size]
            with prefetch(chunk if lang == "zh" else []):
                detect_many(chunk, lang)
        return len(texts) / (time.perf_counter() - start)

    for name, texts, lang in (("zh_notes", zh_texts, "zh"), ("en_clinical_notes", en_clinical_texts, "en"),
                              ("en_sentences", en_texts, "en")):
        ours_rate = docs_per_second(texts, ours(lang))
        batched_rate = ours_batched(texts, lang)
        presidio_rate = docs_per_second(texts, presidio(lang))
        rules_rate = docs_per_second(texts, ours_without_en_tagger(lang)) if lang == "en" else None
        mb = sum(len(t.encode()) for t in texts) / 1e6
        speed[name] = {
            "documents": len(texts), "mb": round(mb, 3),
            "yizhi_docs_per_s": round(ours_rate, 1), "presidio_docs_per_s": round(presidio_rate, 1),
            "ratio": round(ours_rate / presidio_rate, 2),
            "yizhi_batched_docs_per_s": round(batched_rate, 1),  # 32 notes tagged together, as the CLI does
            "batched_ratio": round(batched_rate / presidio_rate, 2),
            "yizhi_without_en_tagger_docs_per_s": round(rules_rate, 1) if rules_rate else None,
            "without_en_tagger_ratio": round(rules_rate / presidio_rate, 2) if rules_rate else None,
        }

    print("CLI throughput and memory ...", file=sys.stderr)
    cli = {}
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "small.jsonl"
        small_bytes = make_corpus(small, 500_000 if quick else 2_000_000)
        for workers in (1, 2):
            run = cli_run(small, workers)
            run["mb_per_s"] = round(small_bytes / 1e6 / run["seconds"], 3)
            run["mb_per_s_per_core"] = round(run["mb_per_s"] / workers, 3)
            cli[f"workers_{workers}"] = {"input_mb": round(small_bytes / 1e6, 2), **run}
        large = Path(tmp) / "large.jsonl"
        large_bytes = make_corpus(large, 2_000_000 if quick else 12_000_000)
        big = cli_run(large, 2)
        big["mb_per_s"] = round(large_bytes / 1e6 / big["seconds"], 3)
        cli["memory_large_workers_2"] = {"input_mb": round(large_bytes / 1e6, 2), **big}

    previous = RESULTS / "deid_text.json"
    if previous.exists():  # keep a separately measured large-input run (--memory-mb) across full runs
        for name, value in json.loads(previous.read_text(encoding="utf-8")).get("cli", {}).items():
            if name.startswith("memory_") and name.endswith("mb_workers_2") and name not in cli:
                cli[name] = value
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    # the machine is shared: a load above the core count means every figure is pessimistic
                    "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()]},
        "date": time.strftime("%Y-%m-%d"),
        "accuracy": {
            dataset: {system: {"overall": ev.report()["overall"], "by_type": ev.report()["by_type"] if system == "yizhi" else None}
                      for system, ev in systems.items()}
            for dataset, systems in accuracy.items()
        },
        "speed": speed,
        "cli": cli,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    tmp_json = RESULTS / "deid_text.json.tmp"
    tmp_json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp_json.replace(RESULTS / "deid_text.json")
    markdown = render_markdown(results)
    tmp_md = RESULTS / "deid_text.md.tmp"
    tmp_md.write_text(markdown, encoding="utf-8")
    tmp_md.replace(RESULTS / "deid_text.md")
    print(markdown)


def render_markdown(results: dict) -> str:
    lines = ["# Text de-identification benchmark", "",
             f"{results['date']}, {results['machine']['cpus']} cores, Python {results['machine']['python']}, "
             f"load average at the end {results['machine']['load_average_1_5_15']} (shared machine). "
             "Produced by `bench/deid_text.py`. Held-out data (never used for tuning), except the row "
             "`en_presidio_whole_file_partly_tuned_on`, whose even-template half was looked at and tuned on. "
             "presidio-research labels are scored as Safe Harbor identifiers (TITLE, NRP, ages < 90, a year or a "
             "weekday alone are not counted; see `yizhi.deid.text.metrics.presidio_gold`); `_all_labels` counts "
             "every label.", "",
             "## Accuracy (type-agnostic, whitespace not counted)", "",
             "| data set | system | char recall | char precision | entity recall | entity precision | gold entities |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for dataset, systems in results["accuracy"].items():
        for system, values in systems.items():
            o = values["overall"]
            lines.append(f"| {dataset} | {system} | {o['char_recall']:.4f} | {o['char_precision']:.4f} | "
                         f"{o['entity_recall']:.4f} | {o['entity_precision']:.4f} | {o['gold_entities']} |")
    for dataset in ("zh_test", "en_clinical_test", "en_presidio_odd_templates"):
        lines += ["", f"### YiZhi per type — {dataset} (recall by gold type, precision by predicted type)", "",
                  "| type | char recall | char precision | entity recall | entity precision | gold | predicted |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for kind, v in results["accuracy"][dataset]["yizhi"]["by_type"].items():
            recall = f"{v['char_recall']:.4f}" if v["gold_entities"] else "–"
            precision = f"{v['char_precision']:.4f}" if v["pred_entities"] else "–"
            e_recall = f"{v['entity_recall']:.4f}" if v["gold_entities"] else "–"
            e_precision = f"{v['entity_precision']:.4f}" if v["pred_entities"] else "–"
            lines.append(f"| {kind} | {recall} | {precision} | {e_recall} | {e_precision} | {v['gold_entities']} | {v['pred_entities']} |")
    lines += ["", "## Speed, same documents, same run, one process each", "",
              "| documents | count | MB | YiZhi docs/s | Presidio docs/s | ratio | YiZhi batched docs/s | ratio "
              "| YiZhi without the English tagger docs/s | ratio |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, v in results["speed"].items():
        rules = v.get("yizhi_without_en_tagger_docs_per_s")
        rules_cells = f"{rules} | {v['without_en_tagger_ratio']}×" if rules else "– | –"
        lines.append(f"| {name} | {v['documents']} | {v['mb']} | {v['yizhi_docs_per_s']} | {v['presidio_docs_per_s']} | "
                     f"{v['ratio']}× | {v['yizhi_batched_docs_per_s']} | {v['batched_ratio']}× | {rules_cells} |")
    lines += ["", "One document at a time for both; \"batched\" finds 32 notes together with `pipeline.detect_many` "
              "(Chinese: equal-length sentences share one model call; English: the tagger runs over the batch in a "
              "pass of its own; identical output), which is what the CLI does."]
    lines += ["", "## CLI (`yizhi deid text`), mixed zh/en .jsonl", "",
              "| run | input MB | seconds | MB/s | MB/s per core | peak RSS main MB | peak RSS worker MB |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, v in results["cli"].items():
        per_core = v.get("mb_per_s_per_core", "")
        lines.append(f"| {name} | {v['input_mb']} | {v['seconds']:.1f} | {v['mb_per_s']} | {per_core} | {v['peak_rss_mb']} | {v['worker_peak_rss_mb']} |")
    if "cli_speed" in results:
        speed = results["cli_speed"]
        lines += ["", f"## CLI speed per core (`bench/deid_text.py --cli-speed`, {speed['date']}, load {speed['load_average_1_5_15']})", "",
                  "| input | MB | wall s | CPU s | start-up CPU s | MB per CPU s | MB per CPU s after start-up |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for name, v in speed.items():
            if isinstance(v, dict):
                lines.append(f"| {name} | {v['input_mb']} | {v['seconds']:.1f} | {v['cpu_seconds']:.2f} | "
                             f"{v['startup_cpu_seconds']:.2f} | {v['mb_per_cpu_second']} | {v['mb_per_cpu_second_after_startup']} |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
