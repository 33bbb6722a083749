# Packages for testing the server's error paths; nothing else references them.
{ mkDemo, slowSeconds, ... }:
{
  # Sleeps `slowSeconds` (a set argument, so tests choose it with --arg/--argstr), then
  # succeeds. Once a build completes it is cached like any other, so a timeout test needs
  # a sleep longer than its timeout.
  slowDemo = mkDemo {
    pname = "slow-demo";
    version = "1.0";
    description = "a build that sleeps before finishing";
    installScript = ./builders/install-slow.sh;
    extraEnv.slowSeconds = toString slowSeconds;
  };

  # Prints a few log lines to stderr, then fails (exit 1).
  brokenDemo = mkDemo {
    pname = "broken-demo";
    version = "1.0";
    description = "a build that always fails";
    installScript = ./builders/install-broken.sh;
  };
}
