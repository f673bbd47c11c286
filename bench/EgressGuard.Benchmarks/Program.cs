using BenchmarkDotNet.Running;

// Micro benchmarks of the per-request work: dotnet run -c Release --project bench/EgressGuard.Benchmarks -- --filter '*'
// Retained size of the range index: dotnet run -c Release --project bench/EgressGuard.Benchmarks -- index-size [entries]
if (args is ["index-size", ..])
{
    EgressGuard.Benchmarks.IndexSize.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000);
    return 0;
}

// Sustained history rows/s into PostgreSQL (fleet mode): ... -- fleet-history "Host=...;Port=...;Username=postgres" [rows] [runs]
if (args is ["fleet-history", var connectionString, ..])
{
    var rows = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 200_000;
    var runs = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 5;
    return await EgressGuard.Benchmarks.FleetHistoryThroughput.RunAsync(connectionString, rows, runs);
}

BenchmarkSwitcher.FromAssembly(typeof(EgressGuard.Benchmarks.LookupBenchmarks).Assembly).Run(args);
return 0;
