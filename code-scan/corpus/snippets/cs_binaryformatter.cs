using System.IO;
using System.Runtime.Serialization.Formatters.Binary;

public class Store {
    public object Load(Stream s) {
        var f = new BinaryFormatter();
        return f.Deserialize(s);
    }
}
