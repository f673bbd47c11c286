using BenchmarkDotNet.Running;

// Micro benchmarks of the per-request work: dotnet run -c Release --project bench/EgressGuard.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(EgressGuard.Benchmarks.LookupBenchmarks).Assembly).Run(args);
