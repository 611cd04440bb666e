// The roster command-line tool: account administration, migrations and the server.
#pragma once

namespace roster::cli {

// Parses the arguments and runs the command. Returns the process exit code; every failure
// prints one line on stderr and returns non-zero.
int RunCommandLine(int argc, char** argv);

}  // namespace roster::cli
