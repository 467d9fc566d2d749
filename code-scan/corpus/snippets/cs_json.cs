using System.Text.Json;

public record Order(int Id, string Item);

public class Store {
    public Order? Load(string json) => JsonSerializer.Deserialize<Order>(json);
}
