export default function Page() {
  return <h1>anomalies</h1>;
}
