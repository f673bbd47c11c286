using EgressGuard.Identity;

namespace EgressGuard.Cli;

/// <summary>
/// <c>EgressGuard users add|remove|list</c>: maintains the proxy credentials file. Passwords are
/// read without echo (or one line from stdin with <c>--password-stdin</c>) and stored only as
/// PBKDF2-SHA256 hashes; the file is written atomically with mode 0600.
/// </summary>
internal static class UsersCommand
{
    public const string Usage = """
        usage: EgressGuard users <command> [--file PATH | --config PATH]
          add NAME [--groups G1,G2] [--password-stdin] [--iterations N]   add or replace a user
          remove NAME
          list
        the file defaults to Auth:UsersFile of the config (users.json beside it).
        """;

    public static int Run(string[] args, TextReader input, TextWriter output, TextWriter error, bool interactive)
    {
        string? file = null, config = null, groups = null;
        var passwordStdin = false;
        var iterations = PasswordHasher.DefaultIterations;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--file" when i + 1 < args.Length: file = args[++i]; break;
                case "--config" when i + 1 < args.Length: config = args[++i]; break;
                case "--groups" when i + 1 < args.Length: groups = args[++i]; break;
                case "--password-stdin": passwordStdin = true; break;
                case "--iterations" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 10_000:
                    iterations = n;
                    i++;
                    break;
                default: rest.Add(args[i]); break;
            }
        }

        file ??= DefaultFile(config);
        if (rest.Count == 0)
        {
            error.WriteLine(Usage);
            return 2;
        }

        var (document, errors) = File.Exists(file) ? UsersFile.Load(file) : (new UsersDocument(), []);
        if (document is null)
        {
            foreach (var e in errors)
            {
                error.WriteLine(e);
            }

            return 1;
        }

        switch (rest[0])
        {
            case "list":
                foreach (var user in document.Users)
                {
                    output.WriteLine($"{user.Name}\t{string.Join(",", user.Groups)}");
                }

                return 0;
            case "remove" when rest.Count == 2:
                if (document.Users.RemoveAll(u => string.Equals(u.Name, rest[1], StringComparison.OrdinalIgnoreCase)) == 0)
                {
                    error.WriteLine($"no user '{rest[1]}' in {file}");
                    return 1;
                }

                UsersFile.Save(file, document);
                output.WriteLine($"removed '{rest[1]}' from {file}");
                return 0;
            case "add" when rest.Count == 2:
                var name = rest[1];
                if (name.Contains(':', StringComparison.Ordinal) || string.IsNullOrWhiteSpace(name))
                {
                    error.WriteLine("a user name may not be empty or contain ':'");
                    return 2;
                }

                var password = passwordStdin ? input.ReadLine() : Prompt(error, interactive);
                if (string.IsNullOrEmpty(password))
                {
                    error.WriteLine("no password given");
                    return 2;
                }

                document.Users.RemoveAll(u => string.Equals(u.Name, name, StringComparison.OrdinalIgnoreCase));
                document.Users.Add(new UserEntry
                {
                    Name = name,
                    Groups = groups?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList() ?? [],
                    Password = PasswordHasher.Hash(password, iterations),
                });
                UsersFile.Save(file, document);
                output.WriteLine($"user '{name}' written to {file}");
                return 0;
            default:
                error.WriteLine(Usage);
                return 2;
        }
    }

    private static string DefaultFile(string? config)
    {
        var path = config is not null ? Path.GetFullPath(config) : CommandLine.FindDefaultConfig();
        var baseDirectory = File.Exists(path) ? Path.GetDirectoryName(path)! : Directory.GetCurrentDirectory();
        var builder = new ConfigurationBuilder();
        if (File.Exists(path))
        {
            builder.AddJsonFile(path, optional: true);
        }

        var values = builder.AddEnvironmentVariables("EGRESSGUARD__").Build();
        return Path.GetFullPath(values["Auth:UsersFile"] is { Length: > 0 } f ? f : "users.json", baseDirectory);
    }

    private static string? Prompt(TextWriter error, bool interactive)
    {
        if (!interactive)
        {
            error.WriteLine("no terminal: pass the password with --password-stdin");
            return null;
        }

        var first = ReadHidden(error, "password: ");
        var second = ReadHidden(error, "again: ");
        if (first != second)
        {
            error.WriteLine("the passwords differ");
            return null;
        }

        return first;
    }

    private static string ReadHidden(TextWriter error, string prompt)
    {
        error.Write(prompt);
        var text = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                error.WriteLine();
                return text.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }
            }
            else
            {
                text.Append(key.KeyChar);
            }
        }
    }
}
