{ outputs = { self }: let
    mk = name: script: { config.system.build.toplevel = derivation {
      inherit name; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
      args = [ "-c" script ]; }; };
  in { nixosConfigurations = {
    quick-a = mk "quick-a-2" "echo building quick-a; mkdir -p $out";
    quick-b = mk "quick-b-2" "echo building quick-b; sleep 0.3; mkdir -p $out";
    slow = mk "slow-2" "i=0; while [ $i -lt 6 ]; do i=$((i+1)); echo slow step $i; sleep 1; done; mkdir -p $out";
  }; }; }
