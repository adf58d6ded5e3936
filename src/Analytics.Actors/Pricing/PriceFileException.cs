namespace Analytics.Actors.Pricing;

/// <summary>
/// A price file (or the embedded catalog, or a price override) could not be read. The message names the file and,
/// when one entry is at fault, the entry and its field. It derives from <see cref="FormatException"/> so a host
/// that reports bad input as a usage error (exit code 2) reports this one the same way.
/// </summary>
internal sealed class PriceFileException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="sourceName">The file path (or another name of the source).</param>
    /// <param name="entry">The model entry at fault, if one is.</param>
    /// <param name="problem">What is wrong, as a sentence fragment.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public PriceFileException(string sourceName, string? entry, string problem, Exception? inner = null)
        : base(entry is null ? $"Price file '{sourceName}': {problem}" : $"Price file '{sourceName}', entry \"{entry}\": {problem}", inner)
    {
        SourceName = sourceName;
        Entry = entry;
    }

    /// <summary>The file path (or another name of the source).</summary>
    public string SourceName { get; }

    /// <summary>The model entry at fault, or null when the problem is the whole file.</summary>
    public string? Entry { get; }
}
