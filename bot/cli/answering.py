"""Commands about the FAQ and its answers: `ask`, `index`, `corpus list|check` and `info`
(`chat`, the terminal conversation, is in chat.py).

Heavy modules (the engine, FAISS, the model) are imported inside the commands, so that
`faqbot --help` and `faqbot corpus check` stay fast.
"""

from __future__ import annotations

import argparse
import json
import time

from bot.cli.output import EXIT_OK
from bot.config import Settings
from bot.corpus import load_corpus


def add_corpus_options(parser: argparse.ArgumentParser, index: bool = True) -> None:
    parser.add_argument("--corpus", metavar="PATH", help="corpus file or folder (default: the project's own FAQ)")
    if index:
        parser.add_argument("--index", dest="index_dir", metavar="DIR",
                            help="index folder (default: <home>/index/<corpus name>)")


def register(commands) -> None:
    ask = commands.add_parser("ask", help="answer one question from the FAQ")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--top-k", type=int, metavar="N", help="most sources/suggestions to return (default 3)")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.add_argument("--history", action="append", metavar="EARLIER",
                     help="an earlier question of the conversation, oldest first (repeat for more); "
                          "the question is then read as a possible follow-up")
    add_corpus_options(ask)
    ask.set_defaults(handler=cmd_ask)

    index = commands.add_parser("index", help="build the search index from the corpus (if it changed)")
    index.add_argument("--force", action="store_true", help="rebuild even if the index is up to date")
    add_corpus_options(index)
    index.set_defaults(handler=cmd_index)

    corpus = commands.add_parser("corpus", help="inspect the corpus")
    actions = corpus.add_subparsers(dest="corpus_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list every entry")
    listing.add_argument("--json", action="store_true", help="print the entries as JSON")
    add_corpus_options(listing)
    listing.set_defaults(handler=cmd_corpus)
    check = actions.add_parser("check", help="validate the corpus without building anything")
    add_corpus_options(check)
    check.set_defaults(handler=cmd_corpus)

    info = commands.add_parser("info", help="show the version and the corpus, index, data, config and model in use")
    info.add_argument("--json", action="store_true", help="print the information as JSON")
    add_corpus_options(info)
    info.set_defaults(handler=cmd_info)


def cmd_ask(args, settings: Settings) -> int:
    from bot.engine import FAQBot, clean_question

    clean_question(args.question, settings.max_question_chars)  # fail fast, before loading the model
    answer = FAQBot.open(settings).ask(args.question, top_k=args.top_k, history=args.history)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        print(answer.to_text())
    return EXIT_OK


def cmd_index(args, settings: Settings) -> int:
    from bot.corpus import corpus_fingerprint
    from bot.decision import decision_in_force
    from bot.index import IndexProblem, build_index, build_signature, read_manifest

    started = time.perf_counter()
    entries = load_corpus(settings.corpus, settings.duplicate_questions)  # validate before loading the model
    fingerprint = corpus_fingerprint(settings.corpus)
    try:
        manifest = read_manifest(settings.index_path)
    except IndexProblem:
        manifest = None  # a damaged index is simply rebuilt
    if not args.force and manifest and manifest == {**manifest, **build_signature(settings, fingerprint, settings.model)}:
        # Fingerprints only: an unchanged corpus never loads torch or the model.
        print(f"The index at {settings.index_path} is up to date: {manifest['entries']} entries "
              f"({manifest['views']} searchable views), built {manifest['built_at']}. "
              "(--force rebuilds it)")
        print(f"Answer or decline: {decision_in_force(settings, manifest)}.")
        return EXIT_OK
    from bot.engine import document_encoder_for, query_encoder_for
    from bot.index import load_index

    embedder = None

    def get_embedder():
        nonlocal embedder
        if embedder is None:
            from bot.encoders.torch_encoder import Embedder

            embedder = Embedder(settings.model)
        return embedder

    build = build_index(entries, settings, document_encoder_for(settings, get_embedder), fingerprint)
    if embedder is not None and settings.query_encoder == "auto":
        # torch was loaded for this build: export the model now (once per model), so that
        # questions and later rebuilds run without it.
        query_encoder_for(settings, load_index(settings.index_path), get_embedder)
    manifest = json.loads((build / "manifest.json").read_text())
    elapsed = time.perf_counter() - started
    print(f"Indexed {manifest['entries']} entries ({manifest['views']} searchable views) "
          f"from {settings.corpus} into {settings.index_path} in {elapsed:.1f} s.")
    print(f"Answer or decline: {decision_in_force(settings, manifest)}.")
    return EXIT_OK


def cmd_corpus(args, settings: Settings) -> int:
    entries = load_corpus(settings.corpus, settings.duplicate_questions)
    if args.corpus_command == "check":
        from bot.corpus.advice import advise

        warnings = advise(entries)
        print(f"{settings.corpus}: {len(entries)} entries, no problems" + (f", {len(warnings)} warning(s):" if warnings
                                                                             else "."))
        for warning in warnings:
            print(f"  {warning}")
        return EXIT_OK
    rows = [{"id": e.id, "question": e.question, "alternates": e.alternates, "category": e.category, "url": e.url}
            for e in entries]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    width = max(len(r["id"]) for r in rows)
    for row in rows:
        extra = f"  (+{len(row['alternates'])} alternates)" if row["alternates"] else ""
        print(f"{row['id']:<{width}}  {row['question']}{extra}")
    print(f"\n{len(rows)} entries in {len({r['category'] for r in rows})} categories.")
    return EXIT_OK


def cmd_info(args, settings: Settings) -> int:
    from bot.info import describe

    facts = describe(settings)
    if args.json:
        print(json.dumps(facts, ensure_ascii=False, indent=2))
        return EXIT_OK
    width = max(len(k) for k in facts)
    for key, value in facts.items():
        print(f"{key + ':':<{width + 1}} {value}")
    return EXIT_OK
