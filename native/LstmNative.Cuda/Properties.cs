using System.Runtime.CompilerServices;

// Every native signature here is blittable: no runtime marshalling stubs, so the binding is NativeAOT- and trim-safe
// and a call costs what the native call costs.
[assembly: DisableRuntimeMarshalling]
