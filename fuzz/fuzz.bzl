"""sluice_fuzz_target: one libFuzzer target that doubles as a regression-replay test."""

def sluice_fuzz_target(name, srcs, deps = []):
    """A fuzz target `name` built from `srcs` (which define LLVMFuzzerTestOneInput).

    It is a cc_test in every configuration, and what it links depends on the
    configuration (the `:fuzzing` config_setting, i.e. --config=fuzz):
      - under --config=fuzz: libFuzzer (-fsanitize=fuzzer supplies main), so
        bazel-bin/fuzz/<name> is the fuzzer that run_fuzzers.sh drives; as a test it
        runs each checked-in input once (libFuzzer's file-argument mode);
      - otherwise (default, clang, asan): replay_main.cc, which runs every input once.
    Either way the test's inputs are every file under corpus/<name>/ and
    regressions/<name>/, passed as arguments, so `bazel test //fuzz/...` replays them
    with the target's own oracles.
    """
    inputs = native.glob(
        ["corpus/%s/**" % name, "regressions/%s/**" % name],
        exclude = ["**/README*"],
    )
    native.cc_test(
        name = name,
        size = "small",
        srcs = srcs,
        # One static binary: libFuzzer's coverage and the sanitizers see every
        # instrumented object without shared-library indirection.
        linkstatic = True,
        deps = deps + select({
            "//fuzz:fuzzing": [],
            "//conditions:default": ["//fuzz:replay_main"],
        }),
        linkopts = select({
            "//fuzz:fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        data = inputs,
        args = ["$(rootpath %s)" % path for path in inputs],
    )
