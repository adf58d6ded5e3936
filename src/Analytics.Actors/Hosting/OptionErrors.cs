using System.Globalization;

namespace Analytics.Actors.Hosting;

/// <summary>
/// Collects configuration problems for one section, each message naming the full key, the allowed range and the value
/// found, so a bad setting is fixed without reading code. Sub-sections share the same list.
/// </summary>
internal sealed class OptionErrors
{
    private readonly List<string> _failures;
    private readonly string _section;

    /// <summary>Errors of the section <paramref name="section"/> (for example <c>Analytics</c>).</summary>
    public OptionErrors(string section) : this(section, []) { }

    private OptionErrors(string section, List<string> failures)
    {
        _section = section;
        _failures = failures;
    }

    /// <summary>Every problem found so far, in the order found.</summary>
    public IReadOnlyList<string> Failures => _failures;

    /// <summary>The errors of a sub-section (<c>Analytics:Sync</c>), collected into the same list.</summary>
    public OptionErrors Section(string name) => new($"{_section}:{name}", _failures);

    /// <summary>The full configuration key of <paramref name="name"/> in this section.</summary>
    public string Key(string name) => $"{_section}:{name}";

    /// <summary>Adds a problem with <paramref name="name"/>: <c>Analytics:Section:Name {message}</c>.</summary>
    public void Add(string name, string message) => _failures.Add($"{Key(name)} {message}");

    /// <summary>An integer that must lie in <c>[min, max]</c>.</summary>
    public void Range(string name, long value, long min, long max, string alternatives = "")
    {
        if (value < min || value > max)
            Add(name, string.Create(CultureInfo.InvariantCulture, $"must be {alternatives}between {min} and {max} (got {value})."));
    }

    /// <summary>A duration that must lie in <c>[min, max]</c>.</summary>
    public void Duration(string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
            Add(name, string.Create(CultureInfo.InvariantCulture, $"must be between {min:c} and {max:c} (got {value:c})."));
    }

    /// <summary>An enum value that must be one of its named members (a number in configuration binds to any value).</summary>
    public void Defined<TEnum>(string name, TEnum value) where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
            Add(name, $"must be one of {string.Join(", ", Enum.GetNames<TEnum>())} (got {value}).");
    }

    /// <summary>An optional value that must be >= 0 when set.</summary>
    public void NonNegative(string name, long? value)
    {
        if (value < 0) Add(name, string.Create(CultureInfo.InvariantCulture, $"must be >= 0 (got {value})."));
    }

    /// <summary>A value that must be set and >= 0; <paramref name="unit"/> says what it counts.</summary>
    public void Required(string name, long? value, string unit)
    {
        if (value is null) Add(name, $"is required ({unit}, >= 0).");
        else NonNegative(name, value);
    }
}
