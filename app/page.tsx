export default function Home() {
  return <main className="p-6">Incident Triage Console</main>;
}
