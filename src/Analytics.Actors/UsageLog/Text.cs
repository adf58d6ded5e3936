using System.Globalization;
using System.Text;

namespace Analytics.Actors.UsageLog;

/// <summary>Small text rules shared by every parser and writer that handles untrusted strings.</summary>
internal static class Text
{
    /// <summary>
    /// The start of <paramref name="s"/> for an error message: at most <paramref name="max"/> characters, then
    /// <c>...</c>, so a huge or hostile value never floods a log line.
    /// </summary>
    public static string Shorten(string s, int max = 40) => s.Length <= max ? s : s[..CutAt(s, max)] + "...";

    /// <summary>
    /// A cut position at most <paramref name="max"/> that does not split a surrogate pair (a half pair would make the
    /// rest of the text unwritable as JSON).
    /// </summary>
    public static int CutAt(string s, int max)
    {
        if (s.Length <= max) return s.Length;
        return max > 0 && char.IsHighSurrogate(s[max - 1]) ? max - 1 : max;
    }

    /// <summary>The index of the first unpaired UTF-16 surrogate in <paramref name="s"/>, or -1 when there is none.</summary>
    public static int FindUnpairedSurrogate(ReadOnlySpan<char> s)
    {
        // Vectorised search for the first surrogate: text without any (nearly all of it) costs one pass and no branch per char.
        var first = s.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0) return -1;
        for (var i = first; i < s.Length; i++)
        {
            var c = s[i];
            if (!char.IsSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
                continue;
            }
            return i;
        }
        return -1;
    }

    /// <summary>The offset of the first byte that is not part of a valid UTF-8 sequence, or -1 when all are.</summary>
    public static int FindInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return -1;
        var i = 0;
        while (i < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[i..], out _, out var consumed) != System.Buffers.OperationStatus.Done) return i;
            i += consumed;
        }
        return -1;
    }

    /// <summary>
    /// <paramref name="s"/> with every unpaired surrogate replaced by U+FFFD, so it can always be written as JSON; the
    /// same instance when there is none (the common case allocates nothing).
    /// </summary>
    public static string WithoutUnpairedSurrogates(string s)
    {
        var first = FindUnpairedSurrogate(s);
        if (first < 0) return s;
        var chars = s.ToCharArray();
        for (var i = first; i < chars.Length; i++)
        {
            if (!char.IsSurrogate(chars[i])) continue;
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) i++;
            else chars[i] = '\uFFFD';
        }
        return new string(chars);
    }

    /// <summary>
    /// True for code points that can break a line or a table row when shown: C0 controls, DEL, C1 controls and the
    /// Unicode line and paragraph separators. With <paramref name="allowLineBreaks"/>, tab, LF and CR are allowed
    /// (free text such as an error message).
    /// </summary>
    public static bool IsForbiddenControl(int codePoint, bool allowLineBreaks = false) => codePoint switch
    {
        '\t' or '\n' or '\r' => !allowLineBreaks,
        < 0x20 or 0x7F => true,
        >= 0x80 and <= 0x9F => true,
        0x2028 or 0x2029 => true,
        _ => false,
    };

    /// <summary>
    /// <paramref name="s"/> for a one-line display (a table cell, a log line): control characters as <c>\u000A</c>
    /// escapes and unpaired surrogates as U+FFFD, so a hostile name can neither break the line nor forge a row.
    /// </summary>
    public static string Printable(string s)
    {
        var clean = WithoutUnpairedSurrogates(s);
        var needs = false;
        foreach (var c in clean)
        {
            if (IsForbiddenControl(c))
            {
                needs = true;
                break;
            }
        }
        if (!needs) return clean;
        var sb = new StringBuilder(clean.Length + 8);
        foreach (var c in clean)
        {
            if (IsForbiddenControl(c)) sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
