using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Analytics.AspNetCore;

/// <summary>
/// Who may ingest and read stats: a client presenting <c>Authorization: Bearer &lt;key&gt;</c> with a key of
/// <c>Analytics:Ingest:ApiKeys</c>, or, when no key is configured, a loopback client only. Keys are kept as SHA-256
/// digests and the presented key is compared against every one of them with <see cref="CryptographicOperations.FixedTimeEquals"/>,
/// so neither the time taken nor the number of comparisons depends on which key matched or how much of it did. A
/// key is never logged or echoed.
/// </summary>
internal sealed class ApiKeyGate
{
    private readonly byte[][] _digests;

    public ApiKeyGate(IEnumerable<string> keys) => _digests = [.. keys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k)))];

    /// <summary>True when keys are configured (else loopback clients only).</summary>
    public bool RequiresKey => _digests.Length > 0;

    /// <summary>Why the request is refused (the 401 body), or null when it may go on.</summary>
    public string? Refusal(HttpContext context)
    {
        if (!RequiresKey)
        {
            return IsLoopback(context.Connection.RemoteIpAddress)
                ? null
                : "no API key is configured (Analytics:Ingest:ApiKeys), so only loopback clients are served";
        }
        var header = context.Request.Headers.Authorization;
        if (header.Count != 1) return "an Authorization: Bearer <key> header is required";
        var value = header[0] ?? "";
        const string scheme = "Bearer ";
        if (!value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return "the Authorization header must use the Bearer scheme";
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(value[scheme.Length..].Trim()));
        var match = false;
        // Every digest is compared, a match or not: no early exit to time.
        foreach (var digest in _digests) match |= CryptographicOperations.FixedTimeEquals(digest, presented);
        return match ? null : "the API key is not valid";
    }

    private static bool IsLoopback(IPAddress? address) =>
        address is not null && (IPAddress.IsLoopback(address) || (address.IsIPv4MappedToIPv6 && IPAddress.IsLoopback(address.MapToIPv4())));
}
