{ outputs = { self }: {
  packages.x86_64-linux.default = derivation {
    name = "u"; system = "x86_64-linux"; builder = "/bin/sh";
    args = [ "-c" undefinedThing ];
  };
}; }
