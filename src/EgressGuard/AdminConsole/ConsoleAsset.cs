namespace EgressGuard.AdminConsole;

/// <summary>One embedded console file.</summary>
internal sealed record ConsoleAsset(byte[] Content, string ContentType, string ETag);
