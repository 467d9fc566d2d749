fun ping(host: String): Process {
    return ProcessBuilder("ping", "-c", "1", host).start()
}
