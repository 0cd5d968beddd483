namespace StrideCampus.AiChat.Client.Realtime.Rows;

/// <summary>Receives a change on the receive loop; the change is valid only during the call.</summary>
internal delegate void RowChangeHandler(RowChange change);
