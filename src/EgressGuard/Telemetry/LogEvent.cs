namespace EgressGuard.Telemetry;

/// <summary>A line of the decision log that is not a request: <c>"event": "audit"</c> and the like.</summary>
internal sealed class LogEvent
{
    public LogEvent(string name, DateTimeOffset time, IReadOnlyDictionary<string, object?> fields)
    {
        Name = name;
        Time = time;
        Fields = fields;
    }

    public string Name { get; }

    public DateTimeOffset Time { get; }

    public IReadOnlyDictionary<string, object?> Fields { get; }

    public void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString(LogFields.Time, Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        json.WriteString(LogFields.Event, Name);
        foreach (var (key, value) in Fields)
        {
            json.WritePropertyName(key);
            JsonSerializer.Serialize(json, value);
        }

        json.WriteEndObject();
    }
}
