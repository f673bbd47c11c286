using BenchmarkDotNet.Running;

// Micro benchmarks of the per-request work: dotnet run -c Release --project bench/EgressGuard.Benchmarks -- --filter '*'
// Retained size of the range index: dotnet run -c Release --project bench/EgressGuard.Benchmarks -- index-size [entries]
if (args is ["index-size", ..])
{
    EgressGuard.Benchmarks.IndexSize.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(EgressGuard.Benchmarks.LookupBenchmarks).Assembly).Run(args);
