using EgressGuard.Files;

namespace EgressGuard.Identity;

/// <summary>Reads, validates and writes the credentials file (atomically, mode 0600).</summary>
internal static class UsersFile
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static (UsersDocument? Document, List<string> Errors) Load(string path)
    {
        var errors = new List<string>();
        UsersDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<UsersDocument>(File.ReadAllText(path), Json);
        }
        catch (JsonException ex)
        {
            return (null, [$"{path}: invalid JSON at line {ex.LineNumber + 1}: {ex.Message}"]);
        }
        catch (IOException ex)
        {
            return (null, [$"{path}: {ex.Message}"]);
        }

        if (document is null)
        {
            return (null, [$"{path}: expected {{ \"users\": [ … ] }}"]);
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < document.Users.Count; i++)
        {
            var user = document.Users[i];
            if (string.IsNullOrWhiteSpace(user.Name) || user.Name.Contains(':', StringComparison.Ordinal))
            {
                errors.Add($"{path}: users[{i}]: name is required and may not contain ':'");
            }
            else if (!names.Add(user.Name))
            {
                errors.Add($"{path}: users[{i}] '{user.Name}': duplicate name");
            }

            if (!PasswordHasher.IsWellFormed(user.Password))
            {
                errors.Add($"{path}: users[{i}] '{user.Name}': password must be a hash ({PasswordHasher.Scheme}$ITERATIONS$SALT$HASH); write entries with 'EgressGuard users add NAME'");
            }
        }

        return (errors.Count == 0 ? document : null, errors);
    }

    public static void Save(string path, UsersDocument document)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        PrivateFile.WriteAllText(path, JsonSerializer.Serialize(document, Json));
    }
}
