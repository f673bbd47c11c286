using EgressGuard.Hosting;

// EgressGuard: an egress proxy that only ever dials an address it has checked.
// Usage: EgressGuard [--config PATH] [--Section:Key=value ...]   (see README.md)
if (args is ["--version"])
{
    Console.WriteLine($"EgressGuard {typeof(EgressGuardHost).Assembly.GetName().Version}");
    return 0;
}

if (args is ["users", ..])
{
    return EgressGuard.Cli.UsersCommand.Run(args[1..], Console.In, Console.Out, Console.Error, interactive: !Console.IsInputRedirected);
}

if (args is ["rules", ..])
{
    return await EgressGuard.Cli.RulesCommand.RunAsync(args[1..], Console.Out, Console.Error);
}

if (args is ["ca", ..])
{
    return EgressGuard.Cli.CaCommand.Run(args[1..], Console.Out, Console.Error);
}

if (args is ["history", ..])
{
    return await EgressGuard.Cli.HistoryCommand.RunAsync(args[1..], report: false, Console.Out, Console.Error);
}

if (args is ["report", ..])
{
    return await EgressGuard.Cli.HistoryCommand.RunAsync(args[1..], report: true, Console.Out, Console.Error);
}

if (args is ["quarantine", ..])
{
    return await EgressGuard.Cli.QuarantineCommand.RunAsync(args[1..], Console.Out, Console.Error);
}

WebApplication app;
try
{
    app = EgressGuardHost.Build(args);
    ListenerPreflight.Check(app.Services.GetRequiredService<EgressGuardSettings>());
}
catch (ListenerBindException ex)
{
    Console.Error.WriteLine($"EgressGuard cannot start: {ex.Message}");
    return 2;
}
catch (ConfigurationErrorsException ex)
{
    Console.Error.WriteLine($"EgressGuard cannot start: {ex.Errors.Count} configuration error(s):");
    foreach (var error in ex.Errors)
    {
        Console.Error.WriteLine("  - " + error);
    }

    return 2;
}

try
{
    await app.RunAsync();
}
catch (ListenerBindException ex)
{
    // Taken between the check and the bind: the same one line, the same exit code.
    Console.Error.WriteLine($"EgressGuard cannot start: {ex.Message}");
    return 2;
}

return 0;
