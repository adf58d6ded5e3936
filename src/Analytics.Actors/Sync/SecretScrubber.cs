using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Analytics.Actors.Sync;

/// <summary>
/// Removes a secret (the sync token) from text that came from elsewhere (a server's response body, a redirect's
/// <c>Location</c>, an exception message) before it is written to a file or a log. A server that echoes the request
/// echoes the token, in clear or escaped, so every form a server is likely to use is replaced by <c>REDACTED</c>:
/// the token as is, JSON-escaped (both common encoders), URL-encoded, HTML-encoded, and inside any JSON string literal
/// whose escapes (<c>\u0074ok...</c>) spell it once decoded.
/// </summary>
internal static class SecretScrubber
{
    /// <summary>What every occurrence of the secret becomes.</summary>
    public const string Replacement = Protocol012.RedactedToken;

    /// <summary><paramref name="text"/> without any form of <paramref name="secret"/>; the same instance when it held none.</summary>
    public static string Scrub(string text, string? secret)
    {
        if (string.IsNullOrEmpty(secret) || text.Length == 0) return text;
        foreach (var form in Forms(secret)) text = text.Replace(form, Replacement, StringComparison.Ordinal);
        return text.Contains('\\') ? ScrubEscapedLiterals(text, secret) : text;
    }

    private static IEnumerable<string> Forms(string secret)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var form in new[]
                 {
                     secret,
                     JsonEncodedText.Encode(secret).ToString(),
                     JsonEncodedText.Encode(secret, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString(),
                     Uri.EscapeDataString(secret),
                     System.Net.WebUtility.HtmlEncode(secret),
                 })
        {
            if (form.Length > 0 && seen.Add(form)) yield return form;
        }
    }

    /// <summary>
    /// Replaces every JSON string literal (<c>"..."</c>) that holds an escape and, decoded, contains the secret: an
    /// echo may escape any character, so only decoding finds every spelling.
    /// </summary>
    private static string ScrubEscapedLiterals(string text, string secret)
    {
        StringBuilder? result = null;
        var copied = 0;
        var i = 0;
        while (i < text.Length)
        {
            var open = text.IndexOf('"', i);
            if (open < 0) break;
            var close = open + 1;
            var escaped = false;
            while (close < text.Length && text[close] != '"')
            {
                if (text[close] == '\\')
                {
                    escaped = true;
                    close++;
                }
                close++;
            }
            if (close >= text.Length) break; // an unterminated literal (a truncated body): the plain forms were replaced already
            if (escaped && Decode(text.AsSpan(open + 1, close - open - 1)).Contains(secret, StringComparison.Ordinal))
            {
                result ??= new StringBuilder(text.Length);
                result.Append(text, copied, open - copied).Append('"').Append(Replacement).Append('"');
                copied = close + 1;
            }
            i = close + 1;
        }
        if (result is null) return text;
        return result.Append(text, copied, text.Length - copied).ToString();
    }

    /// <summary>The JSON escapes of a literal's content decoded; anything malformed is kept as written.</summary>
    private static string Decode(ReadOnlySpan<char> s)
    {
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\' || i + 1 >= s.Length)
            {
                sb.Append(s[i]);
                continue;
            }
            var c = s[++i];
            switch (c)
            {
                case 'u' when i + 4 < s.Length && int.TryParse(s.Slice(i + 1, 4), System.Globalization.NumberStyles.HexNumber, null, out var unit):
                    sb.Append((char)unit);
                    i += 4;
                    break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }
}
