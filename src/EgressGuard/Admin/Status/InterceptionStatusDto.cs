namespace EgressGuard.Admin.Status;

/// <summary>The interception CA in use (<c>status.interception</c>); null in <see cref="StatusDto"/> when there is none.</summary>
internal sealed record InterceptionStatusDto(string Mode, string Ca, DateTimeOffset CaExpires, long CertificatesMinted);
