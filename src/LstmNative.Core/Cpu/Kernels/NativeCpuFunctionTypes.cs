// The C signatures of liblstmnative_cpu's int8 exports as function-pointer types, named once for NativeCpu's partial
// files (native/cpu/lstmnative_cpu.c documents each parameter).
global using unsafe LstmnFusedGemvFn = delegate* unmanaged<int, float*, sbyte*, nint, int, float*, int*, float*, int, byte*, nint, float, float,
    int, byte*, float*, int, sbyte*, nint, int, int, float*, int*, float*, nint, int, int>;
global using unsafe LstmnInt8Fn = delegate* unmanaged<int, int, float*, nint, nint, sbyte*, nint, int, int, float*, int*, float*, nint, int, byte*, nint, int>;
global using unsafe LstmnInt8StaticFn = delegate* unmanaged<int, int, float*, nint, nint, sbyte*, nint, int, int, float*, int*, float*, nint, int, byte*, nint, float, float, int>;
global using unsafe LstmnQuantizeSideFn = delegate* unmanaged<int, int, float*, nint, nint, byte*, float*, float, float, byte*, int>;
