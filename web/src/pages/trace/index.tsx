export default function Page() {
  return <h1>trace</h1>;
}
