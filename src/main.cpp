#include "cli/commands.hpp"

int main(int argc, char** argv) { return roster::cli::RunCommandLine(argc, argv); }
