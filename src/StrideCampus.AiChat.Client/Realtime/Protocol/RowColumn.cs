using System.Text.Json;

namespace StrideCampus.AiChat.Client.Realtime.Protocol;

/// <summary>
/// Where one column of a row image lies in a postgres_changes payload: the name's bytes (between its quotes),
/// the value's bytes (a string between its quotes; an object or array whole) and the value's token type.
/// </summary>
internal readonly record struct RowColumn(
    int NameStart,
    int NameLength,
    bool NameIsEscaped,
    int ValueStart,
    int ValueLength,
    JsonTokenType ValueType,
    bool ValueIsEscaped);
