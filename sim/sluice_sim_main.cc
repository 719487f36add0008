// `./sluice sim`: the deterministic simulation campaign (flags, output and exit codes
// in sim/sim_cli.h and `./sluice sim --help`). The production binary has no hooks:
// planted failures live only in tests/sim_cli's test binary.
#include "sim/sim_cli.h"

int main(int argc, char** argv) { return sluice::sim::SimCliMain(argc, argv); }
