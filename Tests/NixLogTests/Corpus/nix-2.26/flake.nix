{ outputs = { self }: let
    mk = name: script: derivation { inherit name; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" script ]; };
  in {
    packages.x86_64-linux = {
      ok = mk "c-ok" "echo fine; mkdir $out";
      bad = mk "c-bad" "echo about to fail; echo 'error: firmware missing' >&2; exit 3";
      traced = builtins.trace "hello from trace" (mk "c-traced" "mkdir $out");
    };
  }; }
