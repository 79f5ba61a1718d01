"""fuzz_target: a libFuzzer target plus a test replaying its seed corpus."""

def fuzz_target(name, srcs, deps, corpus):
    """Declares `name` (the fuzzer) and `name_corpus_test`.

    Args:
      name: the fuzz target binary.
      srcs: sources defining LLVMFuzzerTestOneInput.
      deps: libraries under test.
      corpus: directory (in this package) of seed inputs.
    """
    native.cc_binary(
        name = name,
        srcs = srcs,
        deps = deps + select({
            "//fuzz:fuzzing": [],
            "//conditions:default": ["//fuzz:replay_main"],
        }),
    )
    native.sh_test(
        name = name + "_corpus_test",
        srcs = ["//fuzz:replay_test.sh"],
        args = [
            "$(location :%s)" % name,
            "$(locations %s)" % corpus,
        ],
        data = [
            ":" + name,
            corpus,
        ],
    )
